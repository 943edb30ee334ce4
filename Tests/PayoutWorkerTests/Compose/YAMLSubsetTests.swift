import Testing

@Suite("The compose test's YAML-subset reader")
struct YAMLSubsetTests {
    @Test("mappings, sequences, quoted and plain scalars, flow sequences, literal blocks, comments")
    func subset() throws {
        let node = try YAMLSubsetReader.parse("""
            # comment
            a:
              b: plain value # trailing comment
              c: "quoted: # not a comment"
              d: 'it''s'
              e: ["x", "y z", 3]
              f:
                - one
                - "two"
              g: |
                line 1
                  indented

                line 3
              h:
            """)
        #expect(node["a"]?["b"] == .scalar("plain value", plain: true))
        #expect(node["a"]?["c"] == .scalar("quoted: # not a comment", plain: false))
        #expect(node["a"]?["d"]?.string == "it's")
        #expect(node["a"]?["e"]?.strings == ["x", "y z", "3"])
        #expect(node["a"]?["f"]?.strings == ["one", "two"])
        #expect(node["a"]?["g"]?.string == "line 1\n  indented\n\nline 3\n")
        #expect(node["a"]?["h"] == .null)
    }

    @Test("what is outside the subset is refused with its line, not misread", arguments: [
        ("a: &anchor 1", 1), ("a: *alias", 1), ("a: {b: 1}", 1), ("a: >\n  folded", 1), ("a:\n\tb: 1", 2),
        ("a:\n- b", 2), ("a: 1\na: 2", 2), ("a:\n  - b: 1", 2), ("a:\n  b: 1\n c: 2", 3),
    ])
    func refused(text: String, line: Int) throws {
        let error = try #require(throws: YAMLSubsetError.self) { try YAMLSubsetReader.parse(text) }
        #expect(error.line == line, "\(error)")
    }
}
