"""Questions about papers and search over stored digests: the service (``service``), which papers
a question is about (``focus``), its abuse and cost limits (``limits``), the full-text index
(``search_index``) and a thread's earlier turns (``turns``)."""
