"""The shared chores every layer uses: the command line, errors, writing files, JSON, progress bars, run info,
figures, torch on one thread."""
