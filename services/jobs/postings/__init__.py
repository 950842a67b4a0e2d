"""Job postings (招聘岗位): writing, publishing, closing, keyword search and their statistics."""
