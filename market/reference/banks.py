"""Vietnamese banks by their NAPAS BIN (the 6 digits VietQR carries): people know a bank by its
name, never by its BIN, so every page that shows transfer details names the bank."""

BANKS = {
    "970436": "Vietcombank",
    "970415": "VietinBank",
    "970418": "BIDV",
    "970405": "Agribank",
    "970407": "Techcombank",
    "970422": "MB Bank",
    "970416": "ACB",
    "970432": "VPBank",
    "970403": "Sacombank",
    "970423": "TPBank",
    "970441": "VIB",
    "970443": "SHB",
    "970431": "Eximbank",
    "970426": "MSB",
    "970448": "OCB",
    "970437": "HDBank",
    "970429": "SCB",
    "970454": "Viet Capital Bank",
    "970440": "SeABank",
    "970449": "LPBank",
}


def bank_name(bin_code: str) -> str:
    """The bank's usual name, or "" for a BIN not in the list (pages then show the BIN alone)."""
    return BANKS.get((bin_code or "").strip(), "")
