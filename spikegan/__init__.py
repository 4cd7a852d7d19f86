"""spikegan: the top layer. One command line over every stage (``spikegan <command>``), above model, hw and verify."""
