//! A catalog snapshot: every schema object rehab compares, read from the system catalogs (skeleton; issue 12).
