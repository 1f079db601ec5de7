"""Repository tools that are not part of the clawvault package: the docs site's generators."""
