"""Jobs service: Employment (就业): employers, postings, seekers, applications, fairs and trainings."""
