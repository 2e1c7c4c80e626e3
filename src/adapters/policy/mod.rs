//! The `Policies` port's adapters: the policies file, read at start and
//! reloaded when it changes. Without a policies file the `AllowAll` port
//! value is used.

pub mod file;
