//! cloudfront-publish: test CloudFront Functions and publish exactly the version that was tested.
//!
//! One path for data: inputs → validated [`plan::Plan`] → [`pipeline`] steps → [`report::Report`] →
//! outputs, summary and PR comment. The front doors (`action`, `publish`, `demo`) only build a plan.

pub mod app;
pub mod aws;
pub mod checks;
pub mod cli;
pub mod demo;
pub mod distributions;
pub mod emulator;
pub mod github;
pub mod inputs;
pub mod kvs_limits;
pub mod localtest;
pub mod manifest;
pub mod pipeline;
pub mod plan;
pub mod progress;
pub mod report;
pub mod runtime;
pub mod testcase;
pub mod types;
