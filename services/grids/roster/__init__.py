"""The roster: members, their bindings, the party organisation and the 十联户 links to households."""
