//! Command tags (RFC 9051 §2.2.1): `A0001`, `A0002`, ... — one per command, never reused in a session, so
//! a tagged response names exactly one command and any other tag is a protocol violation.

/// The tag source of one session.
#[derive(Debug, Default)]
pub struct Tags {
    next: u32,
}

impl Tags {
    /// The next unused tag.
    pub fn next_tag(&mut self) -> String {
        self.next = self.next.wrapping_add(1);
        format!("A{:04}", self.next)
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn tags_are_unique_and_ordered() {
        let mut t = super::Tags::default();
        assert_eq!(t.next_tag(), "A0001");
        assert_eq!(t.next_tag(), "A0002");
    }
}
