"""tests/support: what the Python tests share (a labsim per test run, the pass/fail tally)."""
