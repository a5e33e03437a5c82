//! params placeholder
