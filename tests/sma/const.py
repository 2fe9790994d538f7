"""Constants of the SMA tests (those several vendors share are in tests/const.py)."""
