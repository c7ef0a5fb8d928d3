"""The teaching tools, for readers: the demo, a pair side by side (show), the reading room
(site), pictures computed by the manual code (draw), and classic bugs with their fixes
(pitfalls)."""
