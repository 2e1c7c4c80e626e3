//! Circuit front-ends (filled in on the frontend branch).
