"""Pure programme rules: entities, state machines, scheme parameters and named errors. No I/O, no clock."""
