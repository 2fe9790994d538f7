"""The chaos suite's FusionSolar cases."""
