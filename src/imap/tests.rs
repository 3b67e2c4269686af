//! Unit tests of the imap session over the scripted stream (`pingpong::mock`).
