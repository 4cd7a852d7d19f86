"""ANN -> SNN conversion: normalisation and quantisation, the sweep, its report, the peer and the Pareto front."""
