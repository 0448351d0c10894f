import Crypto
import _CryptoExtras
import Foundation
import NIOCore
import NIOSSH

/// `aes128-ctr` / `aes256-ctr` with `hmac-sha2-256` (RFC 4344, RFC 6668), for swift-nio-ssh.
///
/// swift-nio-ssh ships only AES-GCM, which libssh2 1.10 (our client, and what old VOS nodes speak)
/// does not have. This is the classic encrypt-and-MAC construction of RFC 4253 §6: the whole packet,
/// length included, is encrypted with AES in counter mode, and the MAC is
/// `HMAC(key, uint32 sequence_number || unencrypted packet)`, sent in the clear after the packet.
///
/// The counter is the 128-bit big-endian IV from key exchange, advanced by one per 16-byte block
/// and carried across packets (the keystream is continuous over the connection). swift-crypto's
/// `AES._CTR` is stateless, so each call gets the current counter block and we advance it by the
/// number of blocks consumed; every SSH packet is a whole number of blocks, so no keystream byte is
/// ever left over between calls.
///
/// The object also carries the keyboard-interactive shim (see `KeyboardInteractiveShim`), because
/// the transport is the only place that sees each plaintext message that swift-nio-ssh exchanges.
public class AESCTRTransportProtection {
    // Overridden by the concrete key sizes; a class hierarchy because NIOSSH instantiates the
    // negotiated type through `init(initialKeys:)` and wants distinct types per wire name.
    public class var cipherName: String { fatalError("subclass must override cipherName") }
    public class var keySizes: ExpectedKeySizes { fatalError("subclass must override keySizes") }
    /// The question the keyboard-interactive shim asks (`kbd_int_unexpected_prompt` nodes ask another).
    public class var keyboardInteractivePrompt: String { "Password: " }

    private var inboundKey: SymmetricKey
    private var outboundKey: SymmetricKey
    private var inboundMACKey: SymmetricKey
    private var outboundMACKey: SymmetricKey
    private var inboundCounter: CounterBlock
    private var outboundCounter: CounterBlock
    /// The first block of the inbound packet being read is already decrypted (in the caller's buffer).
    private var inboundFirstBlockDone = false
    private var shim: KeyboardInteractiveShim

    public required init(initialKeys: NIOSSHSessionKeys) throws {
        try Self.check(initialKeys)
        inboundKey = initialKeys.inboundEncryptionKey
        outboundKey = initialKeys.outboundEncryptionKey
        inboundMACKey = initialKeys.inboundMACKey
        outboundMACKey = initialKeys.outboundMACKey
        inboundCounter = CounterBlock(initialKeys.initialInboundIV)
        outboundCounter = CounterBlock(initialKeys.initialOutboundIV)
        shim = KeyboardInteractiveShim(prompt: Self.keyboardInteractivePrompt)
    }

    private static func check(_ keys: NIOSSHSessionKeys) throws {
        let sizes = keySizes
        guard keys.inboundEncryptionKey.bitCount == sizes.encryptionKeySize * 8,
              keys.outboundEncryptionKey.bitCount == sizes.encryptionKeySize * 8,
              keys.inboundMACKey.bitCount == sizes.macKeySize * 8,
              keys.outboundMACKey.bitCount == sizes.macKeySize * 8,
              keys.initialInboundIV.count == 16, keys.initialOutboundIV.count == 16
        else { throw CTRTransportError("key or IV of the wrong size for \(Self.cipherName)") }
    }
}

extension AESCTRTransportProtection: NIOSSHTransportProtection {
    public static var macName: String? { "hmac-sha2-256" }
    public static var cipherBlockSize: Int { 16 }
    public var macBytes: Int { SHA256.byteCount }
    /// The length field is encrypted too, so it counts towards the padding (RFC 4253 §6).
    public var lengthEncrypted: Bool { true }

    public func updateKeys(_ newKeys: NIOSSHSessionKeys) throws {
        try Self.check(newKeys)
        inboundKey = newKeys.inboundEncryptionKey
        outboundKey = newKeys.outboundEncryptionKey
        inboundMACKey = newKeys.inboundMACKey
        outboundMACKey = newKeys.outboundMACKey
        inboundCounter = CounterBlock(newKeys.initialInboundIV)
        outboundCounter = CounterBlock(newKeys.initialOutboundIV)
        inboundFirstBlockDone = false
    }

    public func decryptFirstBlock(_ source: inout ByteBuffer) throws {
        // The parser calls this once per packet, as soon as one block is buffered; it reads the
        // length from the first four bytes afterwards, so the block is decrypted in place.
        let block = Self.cipherBlockSize
        guard let cipher = source.getBytes(at: source.readerIndex, length: block) else {
            throw CTRTransportError("encrypted packet is not a whole number of blocks")
        }
        let plain = try AES._CTR.encrypt(cipher, using: inboundKey, nonce: inboundCounter.nonce)
        inboundCounter.advance(blocks: 1)
        source.setBytes(plain, at: source.readerIndex)
        inboundFirstBlockDone = true
    }

    public func decryptAndVerifyRemainingPacket(_ source: inout ByteBuffer, sequenceNumber: UInt32) throws -> ByteBuffer {
        // `source` is exactly: uint32 length || rest of packet || MAC, its first block already plain.
        let block = Self.cipherBlockSize
        guard inboundFirstBlockDone else { throw CTRTransportError("encrypted packet is not a whole number of blocks") }
        inboundFirstBlockDone = false
        let packetBytes = source.readableBytes - macBytes
        guard packetBytes >= block, packetBytes % block == 0 else {
            throw CTRTransportError("encrypted packet is not a whole number of blocks")
        }
        let start = source.readerIndex
        var packet = source.getBytes(at: start, length: block)!
        let restCount = packetBytes - block
        if restCount > 0 {
            let cipher = source.viewBytes(at: start + block, length: restCount)!
            packet += try AES._CTR.encrypt(cipher, using: inboundKey, nonce: inboundCounter.nonce)
            inboundCounter.advance(blocks: restCount / block)
        }
        let receivedMAC = source.getBytes(at: start + packetBytes, length: macBytes)!
        var hmac = HMAC<SHA256>(key: inboundMACKey)
        hmac.update(data: sequenceNumber.bigEndianBytes)
        hmac.update(data: packet)
        let expected = Array(hmac.finalize())
        guard constantTimeEqual(expected, receivedMAC) else {
            throw CTRTransportError("hmac-sha2-256 mismatch")
        }
        source.moveReaderIndex(forwardBy: source.readableBytes)

        let paddingLength = Int(packet[4])
        guard paddingLength >= 4 else { throw CTRTransportError("padding shorter than 4 bytes") }
        let payloadEnd = packet.count - paddingLength
        guard payloadEnd >= 5 else { throw CTRTransportError("padding longer than the packet") }
        var payload = Array(packet[5..<payloadEnd])
        if let rewritten = shim.inbound(payload) { payload = rewritten }
        var out = ByteBufferAllocator().buffer(capacity: payload.count)
        out.writeBytes(payload)
        return out
    }

    public func encryptPacket(_ destination: inout ByteBuffer, sequenceNumber: UInt32) throws {
        let start = destination.readerIndex
        let block = Self.cipherBlockSize
        if let payload = shim.outbound(Self.payload(of: destination)) {
            // Re-frame the rewritten message with fresh padding (RFC 4253 §6: at least 4 bytes,
            // whole packet a multiple of the block size).
            destination.moveWriterIndex(to: start)
            var padding = block - ((payload.count + 5) % block)
            if padding < 4 { padding += block }
            destination.writeInteger(UInt32(1 + payload.count + padding))
            destination.writeInteger(UInt8(padding))
            destination.writeBytes(payload)
            var rng = SystemRandomNumberGenerator()
            destination.writeBytes((0..<padding).map { _ in UInt8.random(in: 0...255, using: &rng) })
        }
        let packetBytes = destination.writerIndex - start
        precondition(packetBytes % block == 0, "NIOSSH framed a packet that is not a whole number of blocks")
        let plain = destination.viewBytes(at: start, length: packetBytes)!
        var hmac = HMAC<SHA256>(key: outboundMACKey)
        hmac.update(data: sequenceNumber.bigEndianBytes)
        hmac.update(data: plain)
        let mac = Array(hmac.finalize())
        let cipher = try AES._CTR.encrypt(plain, using: outboundKey, nonce: outboundCounter.nonce)
        outboundCounter.advance(blocks: packetBytes / block)
        destination.setContiguousBytes(cipher, at: start)
        destination.writeBytes(mac)
    }

    /// The payload of a framed plaintext packet (between the padding-length byte and the padding).
    private static func payload(of packet: ByteBuffer) -> [UInt8] {
        let start = packet.readerIndex
        guard let length = packet.getInteger(at: start, as: UInt32.self),
              let padding = packet.getInteger(at: start + 4, as: UInt8.self),
              Int(length) >= Int(padding) + 1,
              let bytes = packet.getBytes(at: start + 5, length: Int(length) - Int(padding) - 1)
        else { return [] }
        return bytes
    }
}

/// `aes128-ctr` + `hmac-sha2-256`.
public final class AES128CTRTransportProtection: AESCTRTransportProtection, _NIOSSHSendableMetatype {
    override public class var cipherName: String { "aes128-ctr" }
    override public class var keySizes: ExpectedKeySizes { .init(ivSize: 16, encryptionKeySize: 16, macKeySize: 32) }
}

/// `aes256-ctr` + `hmac-sha2-256`.
public final class AES256CTRTransportProtection: AESCTRTransportProtection, _NIOSSHSendableMetatype {
    override public class var cipherName: String { "aes256-ctr" }
    override public class var keySizes: ExpectedKeySizes { .init(ivSize: 16, encryptionKeySize: 32, macKeySize: 32) }
}

/// `aes128-ctr` whose keyboard-interactive asks for a verification code (the `kbd_int_unexpected_prompt` fault).
public final class AES128CTRCodePromptTransportProtection: AESCTRTransportProtection, _NIOSSHSendableMetatype {
    override public class var cipherName: String { "aes128-ctr" }
    override public class var keySizes: ExpectedKeySizes { .init(ivSize: 16, encryptionKeySize: 16, macKeySize: 32) }
    override public class var keyboardInteractivePrompt: String { KeyboardInteractiveShim.verificationCodePrompt }
}

/// `aes256-ctr` whose keyboard-interactive asks for a verification code (the `kbd_int_unexpected_prompt` fault).
public final class AES256CTRCodePromptTransportProtection: AESCTRTransportProtection, _NIOSSHSendableMetatype {
    override public class var cipherName: String { "aes256-ctr" }
    override public class var keySizes: ExpectedKeySizes { .init(ivSize: 16, encryptionKeySize: 32, macKeySize: 32) }
    override public class var keyboardInteractivePrompt: String { KeyboardInteractiveShim.verificationCodePrompt }
}

/// SSH's CTR counter: the IV as one 128-bit big-endian integer (RFC 4344 §4).
struct CounterBlock {
    private var high: UInt64
    private var low: UInt64

    init(_ iv: [UInt8]) {
        precondition(iv.count == 16)
        high = iv[0..<8].reduce(0) { $0 << 8 | UInt64($1) }
        low = iv[8..<16].reduce(0) { $0 << 8 | UInt64($1) }
    }

    mutating func advance(blocks: Int) {
        let (sum, overflow) = low.addingReportingOverflow(UInt64(blocks))
        low = sum
        if overflow { high &+= 1 }
    }

    var bytes: [UInt8] { high.bigEndianBytes + low.bigEndianBytes }
    // The full 16-byte form: swift-crypto then runs the whole block as a 128-bit counter.
    var nonce: AES._CTR.Nonce { try! AES._CTR.Nonce(nonceBytes: bytes) }
}

extension FixedWidthInteger {
    var bigEndianBytes: [UInt8] {
        withUnsafeBytes(of: self.bigEndian) { Array($0) }
    }
}

private func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
    guard a.count == b.count else { return false }
    return zip(a, b).reduce(UInt8(0)) { $0 | ($1.0 ^ $1.1) } == 0
}

/// Why an inbound packet was refused (the connection is then closed).
public struct CTRTransportError: Error, Sendable, CustomStringConvertible {
    public var description: String
    init(_ description: String) { self.description = description }
}
