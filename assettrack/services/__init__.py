"""Use-cases. Each takes a Session, checks access, writes, audits and flushes; never commits."""
