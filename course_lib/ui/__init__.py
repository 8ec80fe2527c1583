"""What every lesson's interface shares: plot helpers (plots), the explorer toolkit (explorer), the self-check harness (checks)."""
