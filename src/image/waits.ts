/** What `bbm build` and `bbm push` wait on, as their timing lines name it (src/timing.ts). */
export const DOCKER_WAITS = { build: 'docker build', push: 'docker push' } as const;
