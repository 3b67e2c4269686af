//! What every tool's orchestration shares.
