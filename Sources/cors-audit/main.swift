print("cors-audit")
