"""What the answers say: metrics with intervals, themes, charts, figures, the digest, exports."""
