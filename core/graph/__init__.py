"""Record neighbourhoods as graphs: records are nodes, foreign keys and link tables are edges."""
