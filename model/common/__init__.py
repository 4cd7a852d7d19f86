"""The shared chores every layer uses: the command line, errors, JSON, progress bars, run info, figures."""
