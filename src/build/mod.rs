//! Image builds: the Docker Engine connection now; build contexts, digests
//! and content-addressed tags arrive with the images issue.

pub mod docker;
