//! mTLS and bearer tokens (written next).
