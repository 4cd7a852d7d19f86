"""cocotb testbenches and their runners, image/spike comparison, VCD reading."""
