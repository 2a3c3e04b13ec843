//! Lab 3's tests (from the `tester` crate), run against this service and clerk.

tester::kv_tests!(kvraft::KvServer, kvraft::Clerk);
