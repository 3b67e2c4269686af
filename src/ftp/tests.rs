//! Unit tests of the ftp session over the scripted stream (`pingpong::mock`).
