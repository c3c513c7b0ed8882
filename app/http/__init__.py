"""HTTP plumbing every door shares: the ResponseDto envelope, strict JSON bodies,
API authentication and idempotent calls. Core: it imports no domain."""
