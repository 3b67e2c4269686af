//! Unit tests of the smtp session over the scripted stream (`pingpong::mock`).
