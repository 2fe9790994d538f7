"""The chaos suite's smart-me cases."""
