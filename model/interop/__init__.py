"""Bring your own network and take ours out: NIR and PyTorch import, NIR export, snnTorch and sinabs as peers."""
