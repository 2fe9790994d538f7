"""The chaos suite: every vendor under every fault kind."""
