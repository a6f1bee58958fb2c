"""The product's policy: how a photo becomes searchable, how a query is answered."""
