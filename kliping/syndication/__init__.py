"""Sign and cluster steps: word shingles, MinHash signatures, LSH candidates, clusters, canonicals."""
