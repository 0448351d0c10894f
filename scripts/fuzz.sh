#!/usr/bin/env bash
# Builds the libFuzzer targets (Fuzz/) and runs one, or all in turn, for SECONDS each.
#
#   scripts/fuzz.sh TARGET SECONDS [libFuzzer flags...]    e.g. scripts/fuzz.sh splitter 600
#   scripts/fuzz.sh all SECONDS [libFuzzer flags...]
#   scripts/fuzz.sh list
#
# Each run starts from the committed corpus (Fuzz/Corpus/TARGET) and the seeds (scripts/fuzz-seed.py,
# regenerated into Fuzz/Seeds), then merges what it found back into Fuzz/Corpus/TARGET with
# -set_cover_merge=1 (a small set with the same coverage). Crashes and broken invariants go to
# Fuzz/Artifacts/TARGET/; the log of the last run, with libFuzzer's final stats, to
# Fuzz/.work/TARGET/log.txt. Set FUZZ_NO_MERGE=1 to leave the corpus alone.
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
fuzz="$root/Fuzz"
targets=(splitter origin-list-numbered origin-list-finesse cors-status version service-list failure-marker
         vos-conversation apply-conversation inventory)
# gold fails on these links (an internal error in its DWARF reader); lld, shipped with Swift, does not.
flags=(-c release -Xswiftc -sanitize=fuzzer,address -Xswiftc -use-ld=lld)

usage() { echo "usage: $0 TARGET|all SECONDS [libFuzzer flags...]   (targets: ${targets[*]})" >&2; exit 64; }

[[ $# -ge 1 ]] || usage
if [[ $1 == list ]]; then printf '%s\n' "${targets[@]}"; exit 0; fi
[[ $# -ge 2 && $2 =~ ^[0-9]+$ ]] || usage
target=$1 seconds=$2
shift 2
if [[ $target == all ]]; then
    selected=("${targets[@]}")
else
    [[ " ${targets[*]} " == *" $target "* ]] || { echo "unknown target: $target" >&2; usage; }
    selected=("$target")
fi

# One product at a time: a plain build would also build the root package's executables.
for t in "${selected[@]}"; do swift build --package-path "$fuzz" "${flags[@]}" --product "fuzz-$t"; done
bin="$(swift build --package-path "$fuzz" "${flags[@]}" --show-bin-path)"
python3 "$root/scripts/fuzz-seed.py" "$fuzz/Seeds" >/dev/null

# Swift's runtime keeps metadata caches for the life of the process; LeakSanitizer would call them leaks.
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=0}"
# Swift's backtracer and ASan both want the crash; ASan's report is the one that names the bug.
export SWIFT_BACKTRACE="${SWIFT_BACKTRACE:-enable=no}"

for t in "${selected[@]}"; do
    case $t in
        vos-conversation|apply-conversation) dict=vos-session max_len=4096 ;;
        inventory) dict=inventory max_len=4096 ;;
        # Instrumented string handling is slow; a command's output rarely needs more.
        splitter) dict=vos-text max_len=2048 ;;
        *) dict=vos-text max_len=1024 ;;
    esac
    work="$fuzz/.work/$t"
    corpus="$fuzz/Corpus/$t"
    mkdir -p "$work/found" "$corpus" "$fuzz/Artifacts/$t" "$fuzz/Seeds/$t"
    echo "== $t: ${seconds}s" >&2
    set +e
    "$bin/fuzz-$t" -max_total_time="$seconds" -max_len="$max_len" -timeout=10 -print_final_stats=1 \
        -dict="$fuzz/Dictionaries/$dict.dict" -artifact_prefix="$fuzz/Artifacts/$t/" "$@" \
        "$work/found" "$corpus" "$fuzz/Seeds/$t" 2>&1 | tee "$work/log.txt" | grep -E '^(#[0-9]+.*(DONE|pulse)|stat::|==[0-9]+==|SUMMARY|.*invariant broken|artifact_prefix|Test unit written)' >&2
    status=${PIPESTATUS[0]}
    set -e
    if [[ ${FUZZ_NO_MERGE:-0} != 1 ]]; then
        # A small set of inputs with the coverage of the old corpus, the seeds and the new finds
        # (set cover: fewer files than -merge=1's greedy pass).
        rm -rf "$work/merged" && mkdir -p "$work/merged"
        "$bin/fuzz-$t" -set_cover_merge=1 -max_len="$max_len" "$work/merged" "$corpus" "$fuzz/Seeds/$t" "$work/found" \
            >"$work/merge.txt" 2>&1
        rm -rf "$corpus" && mv "$work/merged" "$corpus"
        echo "== $t: corpus $(ls "$corpus" | wc -l) files, $(du -sk "$corpus" | cut -f1) KiB" >&2
    fi
    if (( status != 0 )); then
        echo "== $t: the fuzzer stopped with status $status; see $work/log.txt and Fuzz/Artifacts/$t/" >&2
        exit "$status"
    fi
done
