//! The weft command line.
