"""Platform knowledge that more than one door needs: a connector and an export importer of the
same platform map ids, authors, texts and times through these functions, so the same post reached
through either door is the same row. Pure functions, no client libraries (importing is cheap).
"""
