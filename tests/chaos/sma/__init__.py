"""The chaos suite's SMA cases."""
