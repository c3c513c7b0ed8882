"""`make soak`: a chaos soak of the whole stack, then a ledger audit (issue #13)."""
