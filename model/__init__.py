"""PyTorch side of spikegan: data, the ANN GAN, training, ANN->SNN conversion,
the fixed-point golden model, metrics and weight export."""
