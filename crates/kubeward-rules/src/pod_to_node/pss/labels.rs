//! Namespace labels (TODO)
