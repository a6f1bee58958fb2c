"""Vector indexes: the local exact index and Pinecone."""
