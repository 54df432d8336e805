//! HTTP core shared by the motionkit clients: auth, retries, rate limits,
//! errors, and streamed, resumable uploads and downloads.
