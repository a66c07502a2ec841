//! The plugins are this package's examples; the library is empty.
