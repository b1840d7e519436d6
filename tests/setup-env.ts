// Every test process runs in the testing environment unless a test says otherwise.
process.env.ATOLYE_ENV ??= 'testing';
